"""The demo builds on both backends and the core indicators roll up."""


def test_demo_core_indicators(demo):
    v = demo.indicator_values("新尚村社区", "2010")
    assert v["core.households"] == 360
    assert v["core.villages"] == 1
    county = demo.indicator_values("南县", "2010")
    towns = [demo.indicator_values(t, "2010") for t in ("南洲镇", "茅草街镇")]
    assert county["core.households"] == sum(t["core.households"] for t in towns)
    assert county["core.villages"] == 10
