"""Word pools of the demo county: names, places, crops, lenders. Plain data, no logic.

Chosen to read like 富平县 (渭南市, 陕西省): the townships are real place names, the crops and
herds are the county's (富平尖柿, 奶山羊, 苹果, 花椒), and the given names follow the fashion of
the decade a person was born in, so a grandmother is 秀娥 and her granddaughter 梓涵.
"""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PROVINCE = ("610000000000", "陕西省")
CITY = ("610500000000", "渭南市")
COUNTY = ("610528000000", "富平县")
COUNTY_SHORT = "富平"

# (name, pinyin for the township office's username)
TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("庄里镇", "zhuangli"),
    ("张桥镇", "zhangqiao"),
    ("美原镇", "meiyuan"),
    ("流曲镇", "liuqu"),
    ("淡村镇", "dancun"),
    ("曹村镇", "caocun"),
    ("宫里镇", "gongli"),
    ("梅家坪镇", "meijiaping"),
    ("城关镇", "chengguan"),
    ("刘集镇", "liuji"),
    ("齐村镇", "qicun"),
    ("薛镇", "xuezhen"),
    ("老庙镇", "laomiao"),
    ("到贤镇", "daoxian"),
)

# Villages are named after a founding clan (杨家村), a landform (东坡村, 柳沟村) or a wish
# (太平村); the pool is built from those patterns plus fixed names.
_CLANS = "杨王李张刘赵马孙雷党惠屈薛韩冯曹宋高郭田何梁樊齐姚路吕严白胡"
_DIRECTIONS = "东西南北"
_PLACES = ("坡", "街", "庄", "社", "堡", "寨")
_VALLEYS = ("柳沟", "杨沟", "石沟", "马沟", "桃沟", "杏沟", "水沟", "黄沟")
_FIXED_VILLAGES = (
    "庄里村",
    "河湾村",
    "沙湾村",
    "石桥村",
    "王桥村",
    "槐树村",
    "新庄村",
    "太平村",
    "和平村",
    "永安村",
    "长乐村",
    "兴隆村",
    "红星村",
    "团结村",
    "丰收村",
    "永红村",
    "觅子村",
    "盘龙村",
    "莲湖村",
    "荆山村",
    "凤凰村",
    "南韩村",
    "北韩村",
    "万斛村",
    "中华村",
    "友谊村",
    "古城村",
    "安乐村",
    "土桥村",
    "白庙村",
)
VILLAGE_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [f"{c}家村" for c in _CLANS]
        + [f"{c}家堡村" for c in _CLANS[:10]]
        + [f"{d}{p}村" for d in _DIRECTIONS for p in _PLACES]
        + [f"{v}村" for v in _VALLEYS]
        + list(_FIXED_VILLAGES)
    )
)

# Common surnames with rough weights for the Guanzhong plain (杨, 雷, 党 and 惠 are more
# frequent here than nationally; 陈 and 黄 less).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 8.0),
    ("李", 7.5),
    ("张", 6.5),
    ("刘", 5.5),
    ("杨", 4.5),
    ("赵", 3.2),
    ("陈", 2.2),
    ("马", 2.0),
    ("高", 1.8),
    ("郭", 1.6),
    ("孙", 1.5),
    ("雷", 1.5),
    ("周", 1.4),
    ("吴", 1.2),
    ("黄", 1.0),
    ("徐", 1.0),
    ("何", 1.0),
    ("田", 1.0),
    ("冯", 1.0),
    ("韩", 1.0),
    ("曹", 0.9),
    ("薛", 0.9),
    ("宋", 0.9),
    ("党", 0.8),
    ("惠", 0.7),
    ("梁", 0.7),
    ("吕", 0.7),
    ("贾", 0.7),
    ("任", 0.7),
    ("姚", 0.6),
    ("屈", 0.6),
    ("樊", 0.6),
    ("白", 0.6),
    ("胡", 0.6),
    ("朱", 0.6),
    ("郑", 0.6),
    ("董", 0.5),
    ("程", 0.5),
    ("魏", 0.5),
    ("史", 0.5),
    ("苏", 0.5),
    ("杜", 0.5),
    ("段", 0.4),
    ("齐", 0.4),
    ("路", 0.4),
    ("严", 0.4),
    ("侯", 0.4),
    ("袁", 0.4),
    ("武", 0.4),
    ("乔", 0.3),
    ("贺", 0.3),
    ("孟", 0.3),
    ("权", 0.3),
    ("蔡", 0.3),
    ("康", 0.3),
)

# Given names by sex and birth cohort: (born before 1960, 1960-1984, 1985-1999, 2000 on).
MALE_NAMES: tuple[tuple[str, ...], ...] = (
    _words(
        "建国 建军 国强 志强 永福 德明 振华 文明 宝山 福来 满仓 金锁 保国 卫国 卫东 志刚 国华 长林 根生 树林 连生 天福 玉林 有才 来福 治平 秦生 新民 解放 建华 兴旺 栓柱 拴牢 百顺 全福 银虎 存才 录生 进财 发祥"
    ),
    _words(
        "建平 建刚 海军 小军 红军 志勇 永强 国庆 晓东 卫平 振兴 军峰 小龙 宏伟 文涛 海涛 立新 亚军 少华 利民 铁军 晓峰 宝平 小平 西峰 军利 建锋 宏斌 永斌 卫锋 亚锋 战胜 红卫 文斌 社教 新华 建设 继红 晓军 胜利"
    ),
    _words(
        "磊 鹏 超 涛 强 伟 浩 斌 佳伟 俊杰 鹏飞 晓龙 文博 志鹏 少杰 亚龙 小康 旭东 明辉 晨阳 宏博 江涛 海波 建辉 博 阳 帅 凯 龙飞 鹏程"
    ),
    _words(
        "子轩 浩宇 宇轩 梓豪 浩然 一鸣 俊熙 睿 铭泽 博文 子墨 奕辰 宇航 皓轩 思源 梓睿 天佑 俊宇 锦程 嘉豪 泽宇 明轩 晨 浩轩 宇 子豪 乐乐 一帆 沐阳 嘉乐"
    ),
)
FEMALE_NAMES: tuple[tuple[str, ...], ...] = (
    _words(
        "秀兰 桂英 玉兰 秀英 桂兰 淑珍 凤英 玉珍 翠花 秀珍 桂芳 兰英 金凤 玉梅 彩霞 引弟 招弟 存娥 巧娥 月娥 秀娥 粉娥 彩娥 凤琴 菊花 梅花 改改 玉琴 金花 秀芳"
    ),
    _words(
        "红梅 丽娟 小红 艳 秀琴 丽萍 海燕 晓燕 小燕 春燕 红霞 丽霞 亚妮 小妮 娟娟 彩琴 会琴 利娟 亚丽 雪梅 翠萍 玉霞 红艳 美丽 芳 军霞 萍 会芳 晓琴 建华"
    ),
    _words(
        "婷婷 倩 晶晶 丹 莉 静 娜 敏 雪 佳 欣 倩倩 晓丽 丹丹 媛媛 文静 雅琪 佳佳 楠楠 瑶 蓉 琳 梦 亚楠 雪莹 璐 莎莎 娇 妮妮 晓宁"
    ),
    _words(
        "欣怡 梓涵 子涵 诗涵 雨欣 可馨 一诺 佳怡 思琪 雨涵 梦瑶 语桐 若汐 欣妍 梓萱 紫涵 依诺 雨桐 佳琪 梦琪 诗雨 沐晨 悦 萌 晨曦 可欣 佳音 安琪 心怡 艺涵"
    ),
)
COHORT_BOUNDS = (1960, 1985, 2000)  # first birth year of cohorts 1, 2, 3

CHINESE_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")

MOBILE_PREFIXES = _words(
    "139 138 137 135 150 151 152 157 158 159 182 183 187 188 130 131 132 155 156 185 186 133 153 180 189 177 199 191"
)

# Neighbouring counties a spouse or daughter-in-law may have married in from.
NEIGHBOUR_AREAS = ("610526", "610502", "610525", "610115", "610204")

# Crops: (name, net income per 亩 in yuan, insured sum per 亩)
CROPS: dict[str, tuple[float, float]] = {
    "小麦": (650.0, 450.0),
    "玉米": (700.0, 500.0),
    "苹果": (5200.0, 4000.0),
    "葡萄": (6800.0, 4500.0),
    "花椒": (3600.0, 2500.0),
    "柿子": (4200.0, 3000.0),
    "核桃": (2500.0, 2000.0),
    "樱桃": (8000.0, 5000.0),
    "蔬菜": (4800.0, 2000.0),
}
CASH_CROPS = ("苹果", "葡萄", "花椒", "柿子", "核桃", "樱桃", "蔬菜")
# Herds: (name, unit, median size, net income per head, value per head)
HERDS: tuple[tuple[str, str, float, float, float], ...] = (
    ("生猪", "头", 30.0, 350.0, 1600.0),
    ("肉牛", "头", 8.0, 2600.0, 12000.0),
    ("羊", "只", 25.0, 420.0, 900.0),
    ("奶山羊", "只", 30.0, 900.0, 1800.0),
    ("蛋鸡", "羽", 800.0, 30.0, 45.0),
    ("蜜蜂", "箱", 40.0, 320.0, 600.0),
)
HERD_WEIGHTS = (0.28, 0.14, 0.14, 0.22, 0.14, 0.08)

BANKS = (
    "富平县农村信用合作联社",
    "中国邮政储蓄银行富平县支行",
    "中国农业银行富平县支行",
)
BANK_WEIGHTS = (0.6, 0.25, 0.15)
INSURERS = (
    "中国人民财产保险股份有限公司富平支公司",
    "中华联合财产保险股份有限公司渭南中心支公司",
    "中国太平洋财产保险股份有限公司渭南中心支公司",
)
LIFE_INSURER = "中国人寿保险股份有限公司富平县支公司"

MACHINERY = ("拖拉机", "旋耕机", "小麦收割机", "植保无人机", "微耕机", "玉米播种机")
VEHICLES = (
    ("小轿车", 45000.0),
    ("农用三轮车", 6000.0),
    ("电动三轮车", 3500.0),
    ("皮卡车", 70000.0),
)

HONOURS = (
    ("“五好家庭”", "镇妇联"),
    ("“文明家庭”", "县文明办"),
    ("“致富带头人”", "镇政府"),
    ("“孝老爱亲模范”", "村委会"),
    ("“优秀共产党员”", "镇党委"),
    ("“最美庭院”", "村委会"),
)
VILLAGE_RULE_BREACHES = (
    "违规焚烧秸秆",
    "私搭乱建未按期整改",
    "拒不参加人居环境整治",
    "占用集体土地堆放杂物",
)
PENALTIES = (
    ("焚烧秸秆被罚款", "县生态环境局"),
    ("违规使用禁限用农药被罚款", "县农业农村局"),
    ("非法占用耕地建房被责令整改", "县自然资源局"),
)

ENTITY_BRANDS = _words(
    "鑫源 丰禾 绿源 金穗 瑞丰 宏达 顺发 盛源 兴农 康丰 硕果 田园 沃土 嘉禾 惠农 禾丰 秦丰 锦绣 润田 频阳 荆山 温泉 华塬 金柿 秦川 美原 富秦 丰登 万顺 天润"
)
ENTITY_PRODUCTS = ("苹果", "柿子", "花椒", "葡萄", "樱桃", "蔬菜", "小麦", "奶山羊", "生猪", "肉牛")
ENTERPRISE_INDUSTRIES = ("果业", "乳业", "农业科技", "食品", "农产品", "牧业")
SALES_CHANNELS = ("电商", "超市", "批发市场", "订单收购", "合作社统销", "出口")
