"""Plausible synthetic people, phones, ID numbers and place names from a seeded RNG."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .ids import make_id_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强春梅海燕红梅玉兰德明国平秋菊冬梅文华小红小平长青永强金凤桂花淑珍凤英振华卫东红霞丽华春花建军"
PLACE_A = "东西南北上下新老大小金银长永安兴和丰宝福青石白黄红清太光明"
PLACE_B = "山河湖桥塘坪湾岭港洲溪庄坝口台沟园林岗田堤垸"


class Faker:
    """Deterministic fake data for one plugin: names, phones, ID numbers, dates."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def name(self) -> str:
        given = GIVEN[self.rng.randrange(len(GIVEN))]
        if self.rng.random() < 0.6:
            given += GIVEN[self.rng.randrange(len(GIVEN))]
        return SURNAMES[self.rng.randrange(len(SURNAMES))] + given

    def phone(self) -> str:
        return "1" + self.rng.choice("3578") + "".join(str(self.rng.randrange(10)) for _ in range(9))

    def id_number(self, region6: str, born: date | None = None) -> str:
        born = born or self.birth_date(20, 80)
        return make_id_number(region6, born, self.rng.randrange(1, 999))

    def birth_date(self, min_age: int, max_age: int, today: date = date(2010, 12, 31)) -> date:
        return today - timedelta(days=self.rng.randrange(min_age * 365, max_age * 365))

    def place(self, suffix: str) -> str:
        return self.rng.choice(PLACE_A) + self.rng.choice(PLACE_B) + suffix

    def date_in(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))
