"""Write the analysts' notebooks (01–05) from the cell sources below, without outputs.

The .ipynb files are generated: edit this script and rerun it, so the notebooks stay
output-free and reviewable as code.

    uv run --no-sync python notebooks/build_notebooks.py

tests/analytics/test_notebooks.py executes every notebook top to bottom.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
# Open the demo database: $SHEQU_DEMO_DB if set (and build it there if missing),
# otherwise build a fresh one in a temporary directory.
import os
import tempfile
from pathlib import Path

import holoviews as hv
import pandas as pd

import shequ_sdk
from shequ_sdk import Period

hv.extension("bokeh")

db_path = Path(os.environ.get("SHEQU_DEMO_DB") or Path(tempfile.mkdtemp(prefix="shequ-demo-")) / "demo.db")
if not db_path.exists():
    builder = shequ_sdk.open(db_path, create=True)
    builder.build_demo()  # the seed articles' places and figures, plus synthetic neighbour villages
    builder.close()
sdk = shequ_sdk.open(db_path)
labels = sdk.indicator_labels()  # indicator key -> Chinese label, for titles and axes
print(db_path)'''

CLOSE = '''\
sdk.close()'''


def catalog_cell(plugin: str) -> str:
    return f'''\
# What the {plugin} plugin measures (labels, units and definitions come from its metadata)
catalog = sdk.indicator_catalog()
catalog[catalog["plugin"] == "{plugin}"][["indicator", "label", "unit", "period_kinds", "description"]]'''


NOTEBOOKS = {
    "01_村务公开及时率.ipynb": [
        ("md", """\
# 村务公开及时率

《村民委员会组织法》要求：村务一般事项**至少每季度公开一次**，集体财务往来较多的**财务收支每月公开**，涉及村民利益的重大事项**随时公开**。各地通常还规定公开日（如每季度首月 15 日或 20 日），这些期限在 SDK 中是可按乡镇配置的设置项。

南县的两个原文地点都坚持公开：南洲村"村务公开、财务公开"，新尚村社区的民主管理监督理财协会**每季度**更新党务、居务、财务三块公开栏。

本笔记本用指标 `finance.disclosure_on_time_rate`（按时公开率）：

1. 看南县各村/社区每个季度的表现；
2. 按 2010 全年排序，**最需要督促的村排在前面**；
3. 比较两个乡镇。

注意：全年和乡镇的及时率由指标引擎把各村、各期的分子与分母分别求和后再相除，**不是把季度比率取平均**。"""),
        ("code", SETUP),
        ("md", "## 指标说明"),
        ("code", catalog_cell("finance")),
        ("md", """\
## 各村各季度的按时公开率

`sdk.indicators(...)` 返回长表：每个村、每个季度、每个指标一行。下面把它排成"村 × 季度"的表，并画成热力图（绿色为按时，红色为逾期多）。"""),
        ("code", '''\
KEY = "finance.disclosure_on_time_rate"
quarters = Period.range("2009Q1", "2010Q4")
rates = sdk.indicators(KEY, regions="南县", periods=quarters, level="village")

# Village x quarter, villages in database order, as percentages
village_order = list(dict.fromkeys(rates["region_name"]))
table = rates.pivot(index="region_name", columns="period", values="value").reindex(village_order)
(table * 100).round(1)'''),
        ("code", '''\
heatmap = hv.HeatMap(
    rates, kdims=[("period", "季度"), ("region_name", "村/社区")], vdims=[("value", labels[KEY])]
).opts(title=f"南县各村{labels[KEY]}（按季度）", cmap="RdYlGn", clim=(0, 1), colorbar=True,
       tools=["hover"], width=760, height=400, xrotation=45)
heatmap'''),
        ("md", """\
## 2010 年全年：表现最差的村排在前面

全年及时率直接按 `periods="2010"` 计算：引擎汇总全年应公开次数和按时公开次数后相除。"""),
        ("code", '''\
yearly = sdk.indicators(KEY, regions="南县", periods="2010", level="village")
worst = yearly.sort_values(["value", "region_name"]).reset_index(drop=True)[["region_name", "region_id", "value"]]
worst.assign(及时率=(worst["value"] * 100).round(1).astype(str) + "%")[["region_name", "及时率"]]'''),
        ("code", '''\
bars = hv.Bars(worst, kdims=[("region_name", "村/社区")], vdims=[("value", labels[KEY])]).opts(
    title=f"2010年{labels[KEY]}（由低到高）", ylim=(0, 1.05), width=760, height=360,
    xrotation=45, tools=["hover"])
bars'''),
        ("md", """\
## 乡镇对比

`sdk.wide(...)` 把长表转成宽表：每个乡镇、每年一行，每个指标一列；`lang="zh"` 用中文指标名作列名。"""),
        ("code", '''\
towns = sdk.wide(sdk.indicators("finance", regions="南县", periods=["2009", "2010"], level="township"), lang="zh")
towns.drop(columns=["region_id", "region_code", "level", "period_start"])'''),
        ("md", """\
## 校验关键数字

以下断言在数据或指标口径发生回归时让笔记本运行失败（CI 会执行本笔记本）。"""),
        ("code", '''\
# The two seed places kept their boards up to date in every quarter (article 4)
seed = rates[rates["region_name"].isin(["南洲村", "新尚村社区"])]
assert len(seed) == 2 * len(quarters), seed
assert (seed["value"] == 1.0).all(), seed

# Ten villages and communities in 南县, every rate a proportion, the worst listed first
assert yearly["region_id"].nunique() == 10
assert rates["value"].dropna().between(0, 1).all()
assert worst["value"].is_monotonic_increasing

# A township's rate is recomputed from its villages' counts, so it lies within their range
regions = sdk.regions_frame("南县")
town_2010 = sdk.indicators(KEY, regions="南县", periods="2010", level="township")
for _, town in town_2010.iterrows():
    member_ids = regions.loc[(regions["township_name"] == town["region_name"]) & (regions["level"] == "village"), "id"]
    member_rates = yearly.loc[yearly["region_id"].isin(member_ids), "value"]
    assert member_rates.min() - 1e-9 <= town["value"] <= member_rates.max() + 1e-9, town
print("ok")'''),
        ("code", CLOSE),
    ],
    "02_垃圾清运与环境卫生.ipynb": [
        ("md", """\
# 垃圾清运与环境卫生

原文（第四篇）：茅草街镇新尚村社区**每户的垃圾桶集中放置**，环卫协会的清运车**每天清运一次**。

本笔记本看南县各村 2009—2010 年的清运情况：

- `sanitation.collection_rate` 清运率：有清运的天数 ÷ 应清运天数；
- `sanitation.collections` 清运车次、`sanitation.collected_kg` 清运量；
- `sanitation.bin_coverage` 垃圾桶入户率、`sanitation.sorted_share` 分类清运占比。

最后直接读取逐日的清运记录（记录表也是一行代码变成 DataFrame，筛选在数据库里完成）。"""),
        ("code", SETUP),
        ("md", "## 指标说明"),
        ("code", catalog_cell("sanitation")),
        ("md", "## 各村月度清运率"),
        ("code", '''\
months = Period.range("2009-01", "2010-12")
monthly = sdk.indicators("sanitation", regions="南县", periods=months, level="village")
rate = monthly[monthly["indicator"] == "sanitation.collection_rate"]

curves = hv.Dataset(
    rate, kdims=[("period_start", "月份"), ("region_name", "村/社区")], vdims=[("value", labels["sanitation.collection_rate"])]
).to(hv.Curve, "period_start", "value").overlay("region_name")
curves.opts(
    hv.opts.Curve(width=760, height=380, tools=["hover"], ylim=(0, 1.05)),
    hv.opts.NdOverlay(title=f"南县各村{labels['sanitation.collection_rate']}（按月）", legend_position="right"),
)'''),
        ("md", """\
## 乡镇汇总

乡镇的清运率由各村的"有清运天数"和"应清运天数"分别求和后相除；清运量是各村之和。"""),
        ("code", '''\
town_keys = ["sanitation.collection_rate", "sanitation.collected_kg", "sanitation.bin_coverage"]
town_monthly = sdk.wide(sdk.indicators(town_keys, regions="南县", periods=months, level="township"))
kg = hv.Dataset(
    town_monthly, kdims=[("period_start", "月份"), ("region_name", "乡镇")],
    vdims=[("sanitation.collected_kg", f"{labels['sanitation.collected_kg']}（公斤）")],
).to(hv.Curve, "period_start", "sanitation.collected_kg").overlay("region_name")
kg.opts(hv.opts.Curve(width=760, height=320, tools=["hover"]),
        hv.opts.NdOverlay(title="各乡镇月度清运量", legend_position="right"))'''),
        ("code", '''\
sdk.wide(sdk.indicators(town_keys, regions="南县", periods=["2009", "2010"], level="township"), lang="zh").drop(
    columns=["region_id", "region_code", "level", "period_start"])'''),
        ("md", """\
## 逐日清运记录：新尚村社区 2010 年第四季度

`sdk.frame(表, region=…, period=…, columns=…)` 返回记录表的行；日期列是 `datetime64`，可选值列是带中文标签的分类列。列名的中文标签来自元数据 `sdk.labels(表)`。"""),
        ("code", '''\
TABLE = "sanitation_collection_run"
runs = sdk.frame(TABLE, region="新尚村社区", period="2010Q4",
                 columns=["run_date", "amount_kg", "households_served", "waste_category"])
col = sdk.labels(TABLE)
print(runs.dtypes)
hv.Curve(runs, kdims=[("run_date", col["run_date"])], vdims=[("amount_kg", col["amount_kg"])]).opts(
    title=f"新尚村社区 2010年第4季度 {sdk.table_labels()[TABLE]}：逐日清运量", width=760, height=300, tools=["hover"])'''),
        ("md", "## 校验关键数字"),
        ("code", '''\
# 新尚村社区: every household's bin placed, collection every day (article 4)
xs = monthly[monthly["region_name"] == "新尚村社区"].pivot(index="period", columns="indicator", values="value")
assert len(xs) == len(months)
assert (xs["sanitation.collection_rate"] == 1.0).all()
assert (xs["sanitation.bin_coverage"] == 1.0).all()
days_in = {str(p): p.days for p in months}
assert all(xs.loc[p, "sanitation.collections"] >= days_in[p] for p in xs.index)

# The record frame: one run a day in the quarter, dates typed alike on every backend
assert str(runs["run_date"].dtype) == "datetime64[ns]"
assert runs["run_date"].dt.normalize().nunique() == 31 + 30 + 31

# A township's tonnage is the sum of its villages'
regions = sdk.regions_frame("南县")[["id", "township_name"]]
village_kg = monthly[monthly["indicator"] == "sanitation.collected_kg"].merge(regions, left_on="region_id", right_on="id")
by_town = village_kg.groupby(["township_name", "period"])["value"].sum()
for _, row in town_monthly.iterrows():
    assert by_town[(row["region_name"], row["period"])] == row["sanitation.collected_kg"], row
print("ok")'''),
        ("code", CLOSE),
    ],
    "03_星级文明户与荣誉.ipynb": [
        ("md", """\
# 星级文明户与荣誉

原文（第四篇）：南县南洲镇南洲村 2010 年评出**十星级文明户 120 户、九星级 180 户、好媳妇 22 名**，并获得三项荣誉——出席省的五好党支部、省级民主法制示范村、全市精神文明建设先进单位。茅草街镇新尚村社区 2009 年获益阳市委市政府"文明创建先进单位"，2010 年获"社会主义新农村社区建设示范单位"。

本笔记本：

1. 比较各村的星级文明户评定；
2. 把荣誉（`core.honours`）和其他指标放在一起看；
3. 列出荣誉明细。"""),
        ("code", SETUP),
        ("md", "## 指标说明"),
        ("code", catalog_cell("civility")),
        ("md", "## 各村星级文明户"),
        ("code", '''\
KEYS = ["civility.households_10_star", "civility.households_9_star", "civility.rated_households",
        "civility.ten_star_share", "civility.good_daughter_in_law", "civility.family_awards", "core.honours"]
civ = sdk.wide(sdk.indicators(KEYS, regions="南县", periods=["2009", "2010"], level="village"))
civ[civ["period"] == "2010"].set_index("region_name")[KEYS].rename(columns=labels)'''),
        ("code", '''\
stars = sdk.indicators(["civility.households_10_star", "civility.households_9_star"], regions="南县", periods="2010", level="village")
stars = stars.assign(star=stars["indicator"].map(labels))
hv.Bars(stars, kdims=[("region_name", "村/社区"), ("star", "星级")], vdims=[("value", "户数")]).opts(
    stacked=True, width=760, height=360, xrotation=45, tools=["hover"], legend_position="right",
    title="2010年各村星级文明户")'''),
        ("md", """\
## 荣誉与其他指标

每个点是一个村的一年（2009、2010）。荣誉很少，样本只有 20 个"村·年"，下面的相关系数只作示意，不能说明因果。"""),
        ("code", '''\
OTHER = ["civility.ten_star_share", "civility.good_daughter_in_law", "finance.disclosure_on_time_rate",
         "sanitation.collection_rate", "core.associations"]
both = sdk.wide(sdk.indicators(["core.honours", *OTHER], regions="南县", periods=["2009", "2010"], level="village"))
numeric = both[["core.honours", *OTHER]].astype("float64")
corr = numeric.corr(method="spearman")["core.honours"].drop("core.honours")
corr.rename(index=labels).round(2).to_frame("与荣誉数的秩相关")'''),
        ("code", '''\
x, y = "civility.ten_star_share", "core.honours"
points = hv.Scatter(both, kdims=[(x, labels[x])], vdims=[(y, labels[y]), ("region_name", "村/社区"), ("period", "年度")]).opts(
    size=10, tools=["hover"], width=620, height=380, title=f"{labels[y]}与{labels[x]}")
names = hv.Labels(both[both[y] > 0], kdims=[x, y], vdims=["region_name"]).opts(yoffset=0.15, text_font_size="10pt")
points * names'''),
        ("md", "## 荣誉明细（记录表）"),
        ("code", '''\
honours = sdk.frame("honour", region="南县", columns=["year", "title", "awarded_by", "level", "region_name"])
honours.rename(columns=honours.attrs["labels"])'''),
        ("md", "## 校验关键数字"),
        ("code", '''\
nanzhou = civ[(civ["region_name"] == "南洲村") & (civ["period"] == "2010")].iloc[0]
assert nanzhou["civility.households_10_star"] == 120
assert nanzhou["civility.households_9_star"] == 180
assert nanzhou["civility.good_daughter_in_law"] == 22
assert nanzhou["core.honours"] == 3

xinshang = civ[civ["region_name"] == "新尚村社区"].set_index("period")["core.honours"]
assert xinshang["2009"] == 1 and xinshang["2010"] == 1

assert set(honours.loc[honours["region_name"] == "南洲村", "title"]) >= {
    "出席省的五好党支部", "省级民主法制示范村", "全市精神文明建设先进单位"}
assert str(honours["level"].dtype) == "category" and "省级" in set(honours["level"].dropna())
assert civ["civility.ten_star_share"].dropna().between(0, 1).all()
print("ok")'''),
        ("code", CLOSE),
    ],
    "04_社会组织党建覆盖.ipynb": [
        ("md", """\
# 社会组织党建覆盖

原文（第一篇）：湖北省宜城市 2010 年有社会组织 **177 家**，会员 1546 人，其中**党员 725 人**。党组织按四种方式覆盖全部社会组织：

| 方式 | 做法 | 数量 |
|---|---|---|
| 单独建 | 专职人员中党员 3 名以上的组织单独建党支部（如老体协、驾协） | 28 家 |
| 联合建 | 按"行业相近、地域相邻"建联合党支部（如作协、美协、书协） | 43 家，19 个联合支部 |
| 挂靠建 | 在业务主管单位建党小组，"谁主管谁负责"（如农学会、林学会） | 41 家 |
| 委派指导员 | 业务主管单位委派党建指导员（如台胞联谊会） | 65 家 |

28 + 43 + 41 + 65 = 177，即**覆盖率 100%**。本笔记本用 party 插件的指标重现这些数字，并看 2009—2010 年覆盖率的变化。"""),
        ("code", SETUP),
        ("md", "## 指标说明"),
        ("code", catalog_cell("party")),
        ("md", """\
## 宜城市 2010 年

宜城市是县级市，数据登记在市一级，所以按 `level="county"` 汇总。`exact=True` 保留引擎的精确值（计数为整数）。"""),
        ("code", '''\
party = sdk.indicators("party", regions="宜城市", periods="2010", level="county", exact=True)
figures = party.set_index("indicator")["value"]
party.assign(名称=party["indicator"].map(labels))[["indicator", "名称", "value"]]'''),
        ("code", '''\
MODES = ["party.standalone_branches", "party.joint_branch_organisations", "party.attached_groups", "party.instructor_organisations"]
modes = pd.DataFrame({"方式": [labels[k] for k in MODES], "组织数": [int(figures[k]) for k in MODES]})
hv.Bars(modes, kdims=["方式"], vdims=["组织数"]).opts(
    title=f"宜城市 2010年 各覆盖方式的社会组织（合计 {figures['party.organisations']} 家）",
    width=640, height=340, tools=["hover"])'''),
        ("code", '''\
MASS = ["party.unions", "party.youth_leagues", "party.womens_organisations"]
mass = pd.DataFrame({"组织": [labels[k] for k in MASS], "数量": [int(figures[k]) for k in MASS]})
hv.Bars(mass, kdims=["组织"], vdims=["数量"]).opts(title="社会组织中的工会、共青团和妇女组织（2010年）", width=640, height=300, tools=["hover"])'''),
        ("md", """\
## 覆盖率的变化（按季度）

覆盖率 = 期末有覆盖方式的社会组织 ÷ 社会组织数。"""),
        ("code", '''\
quarters = Period.range("2009Q1", "2010Q4")
trend = sdk.indicators(["party.coverage_rate", "party.uncovered_organisations"], regions="宜城市", periods=quarters, level="county")
coverage = trend[trend["indicator"] == "party.coverage_rate"]
hv.Curve(coverage, kdims=[("period_start", "季度")], vdims=[("value", labels["party.coverage_rate"])]).opts(
    title=f"宜城市{labels['party.coverage_rate']}", ylim=(0, 1.05), width=640, height=320, tools=["hover"]) * hv.Scatter(
    coverage, kdims=["period_start"], vdims=["value"]).opts(size=7)'''),
        ("md", "## 记录表：覆盖方式登记"),
        ("code", '''\
cover = sdk.frame("party_coverage", region="宜城市", columns=["association_id", "mode", "start_date", "end_date"])
by_mode = cover.loc[cover["end_date"].isna(), "mode"].value_counts().reindex(cover["mode"].cat.categories)
by_mode.to_frame("组织数")'''),
        ("md", "## 校验关键数字（原文第一篇）"),
        ("code", '''\
expected = {
    "party.organisations": 177,
    "party.members": 725,
    "party.standalone_branches": 28,
    "party.joint_branches": 19,
    "party.joint_branch_organisations": 43,
    "party.attached_groups": 41,
    "party.instructor_organisations": 65,
    "party.coverage_rate": 1.0,
}
for key, value in expected.items():
    assert figures[key] == value, (key, figures[key], value)
assert sum(figures[k] for k in MODES) == figures["party.organisations"]  # every organisation covered exactly once
assert coverage["value"].iloc[-1] == 1.0 and coverage["value"].between(0, 1).all()
print("ok")'''),
        ("code", CLOSE),
    ],
    "05_全省分析.ipynb": [
        ("md", """\
# 全省分析：导出 Parquet，用 DuckDB 计算

一个省有上百个县，每个县一个数据库。要跨县比较，就把每个县导出成**按县、按年分区的 Parquet 文件**，再用分析引擎读：DuckDB、Polars、Dask、Spark 都直接读这种目录结构。

```
导出目录/
  _schema.json                           各表各列的中英文标签、单位、类型、是否脱敏
  _manifest.json                         每个分区文件的内容哈希（增量导出用）
  <数据表>/county=<区划代码>/year=<年>/part-0.parquet
  indicator_values/county=<区划代码>/year=<年>/part-0.parquet
```

命令行：`shequ export --format parquet --out 导出目录 [--region …] [--tables …] [--incremental]`。本笔记本用同一功能的 Python 接口 `sdk.export_parquet(...)`，导出演示数据库的两个县（南县、宜城市），然后：

1. 用 DuckDB 直接查询 Parquet，计算**每个县每年的村务按时公开率**；
2. 与 `sdk.indicators(...)` 在同样的地区和期间给出的数字逐一核对，必须相等。

指标值文件每村每年一行，带有汇总前的**分子和分母**。县的按时公开率 = 全县各村分子之和 ÷ 分母之和，与指标引擎的汇总方法相同（不是各村比率的平均）。"""),
        ("code", SETUP),
        ("md", "## 导出为 Parquet"),
        ("code", '''\
import json

out = Path(tempfile.mkdtemp(prefix="shequ-parquet-")) / "export"
report = sdk.export_parquet(out)  # every table, masked as frames are, plus the yearly indicator values
print(f"{len(report.written)} 个分区文件，{sum(report.rows.values()):,} 行，用时 {report.seconds:.1f} 秒")
schema = json.loads((out / "_schema.json").read_text(encoding="utf-8"))
counties = {code: info["name"] for code, info in schema["counties"].items()}
counties'''),
        ("code", '''\
# The partitions of the indicator values: one directory per county and year
sorted(str(p.relative_to(out)) for p in (out / "indicator_values").glob("*/*/*.parquet"))[:6]'''),
        ("md", """\
## DuckDB：每个县每年的按时公开率

DuckDB 是嵌入式的（`pip install duckdb`），不需要服务器。`hive_partitioning` 把目录名 `county=…/year=…` 读成两列；这里把县指定为文本（区划代码不是数字）。"""),
        ("code", '''\
import duckdb

KEY = "finance.disclosure_on_time_rate"
con = duckdb.connect()
rates = con.execute(f"""
    SELECT county, year,
           sum(numerator) AS on_time, sum(denominator) AS due,
           sum(numerator) / sum(denominator) AS rate
    FROM read_parquet('{out.as_posix()}/indicator_values/*/*/*.parquet',
                      hive_partitioning = true, hive_types = {{'county': VARCHAR, 'year': INTEGER}})
    WHERE indicator = ?
    GROUP BY county, year
    HAVING sum(denominator) > 0
    ORDER BY county, year
""", [KEY]).df()
rates.insert(1, "县", rates["county"].map(counties))
rates'''),
        ("code", '''\
hv.Bars(rates.assign(年=rates["year"].astype(str)), kdims=[("县", "县"), ("年", "年")], vdims=[("rate", labels[KEY])]).opts(
    title=f"各县各年{labels[KEY]}（DuckDB 读 Parquet 计算）", ylim=(0, 1.05), width=700, height=340, tools=["hover"])'''),
        ("md", """\
## 与 SDK 的指标核对

同样的县、同样的年份，用 `sdk.indicators(..., level="county")` 再算一遍。两边必须相等，否则本笔记本运行失败。"""),
        ("code", '''\
years = [str(y) for y in sorted(rates["year"].unique())]
sdk_rates = pd.concat([sdk.indicators(KEY, regions=name, periods=years, level="county") for name in counties.values()],
                      ignore_index=True).dropna(subset=["value"])
sdk_rates["year"] = sdk_rates["period"].astype(int)
sdk_rates["county"] = sdk_rates["region_code"]
check = rates.merge(sdk_rates[["county", "year", "value"]], on=["county", "year"], how="outer", indicator=True)
assert (check["_merge"] == "both").all(), check[check["_merge"] != "both"]
assert ((check["rate"] - check["value"]).abs() < 1e-12).all(), check
# 南县 has disclosure schedules in every year; 宜城市's demo data is its Party organisations only
assert {2009, 2010} <= set(check.loc[check["county"].map(counties) == "南县", "year"])
check[["county", "year", "rate", "value"]].rename(columns={"rate": "DuckDB", "value": "sdk.indicators"})'''),
        ("md", """\
## 记录表也一样可查

每张数据表按同样的方式分区，敏感列（姓名、身份证号、电话）已按当前用户的角色脱敏。下面用 DuckDB 统计各县各年的垃圾清运次数和重量，并与 `sdk.frame` 核对。"""),
        ("code", '''\
runs = con.execute(f"""
    SELECT county, year, count(*) AS runs, sum(amount_kg) AS kg
    FROM read_parquet('{out.as_posix()}/sanitation_collection_run/*/*/*.parquet',
                      hive_partitioning = true, hive_types = {{'county': VARCHAR, 'year': INTEGER}})
    GROUP BY county, year ORDER BY county, year
""").df()
for row in runs.itertuples():
    frame = sdk.frame("sanitation_collection_run", region=counties[row.county], period=str(row.year), columns=["amount_kg"])
    assert len(frame) == row.runs and frame["amount_kg"].sum() == row.kg, row
assert len(runs) > 0
runs.assign(县=runs["county"].map(counties))'''),
        ("md", """\
## 更大的规模

同一目录结构也可以由其他引擎读取（见 docs/analysts.md）：

- **Dask**（多进程、多机）：`dask.dataframe.read_parquet("导出目录/indicator_values")`，测试中在两个 worker 的 `distributed.LocalCluster` 上算出同样的数字；
- **Spark**：`spark.read.option("basePath", "导出目录/indicator_values").parquet("导出目录/indicator_values")`；
- **Polars**：`pl.scan_parquet("导出目录/indicator_values/**/*.parquet", hive_partitioning=True)`。

各县分别导出到同一个目录结构（如对象存储上的 `省/…`），就是全省的数据集。"""),
        ("code", '''\
con.close()
sdk.close()'''),
    ],
}


def build() -> list[Path]:
    written = []
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
        for n, cell in enumerate(nb.cells):
            cell["id"] = f"c{n:02d}"  # stable ids keep regenerated notebooks diff-free
        nbformat.validate(nb)
        path = HERE / name
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path.relative_to(HERE.parent))
