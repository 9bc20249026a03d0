"""Runtime labels that pybabel cannot see.

Some labels are stored as Chinese data (dict values in models/ and agri_credit/, the shipped
default rule set) and translated only when shown, by `_(label)` on a variable in a template or
in Python. `pybabel extract` finds string literals inside `_()`/`_l()` calls only, so those
strings would never reach the catalog. Listing them here as `_l("...")` gives each one a msgid
and an English translation. Nothing needs to import this module; keep it in step with the
dicts it mirrors (tests/test_english_catalog.py checks that they are all translated).
"""

from flask_babel import lazy_gettext as _l

# models.departmental.SOURCE_LABELS: `_(s.label)` in departmental/_records.html, `_(label)` in
# dashboard.routes.data_coverage
SOURCE_LABELS = (
    _l("税务"),
    _l("社保"),
    _l("公积金"),
    _l("水费"),
    _l("电费"),
    _l("燃气费"),
    _l("银行贷款"),
    _l("公共信用记录"),
)

# models.departmental.BATCH_STATUS_LABELS: `_(b.status_label)` in departmental/_status.html
BATCH_STATUS_LABELS = (
    _l("待确认列对应"),
    _l("排队中"),
    _l("导入中"),
    _l("已导入"),
    _l("有错误，未导入"),
    _l("失败，未导入"),
    _l("已撤销"),
)

# models.departmental.LOAN_STATUS_LABELS (五级分类): `_(r.status_label)` in
# departmental/_records.html
LOAN_STATUS_LABELS = (
    _l("正常"),
    _l("关注"),
    _l("次级"),
    _l("可疑"),
    _l("损失"),
)

# models.departmental.PUBLIC_RECORD_KIND_LABELS: `_(r.kind_label)` in
# departmental/_records.html
PUBLIC_RECORD_KIND_LABELS = (
    _l("行政许可"),
    _l("行政处罚"),
    _l("失信被执行人"),
    _l("荣誉表彰"),
)

# models.departmental.SEVERITY_LABELS: `_(r.severity_label)` in departmental/_records.html
SEVERITY_LABELS = (
    _l("轻微"),
    _l("一般"),
    _l("严重"),
)

# rating_cycle.publication.STATUS_LABELS (a village's 公示 state): `_(labels[rating.status])` in
# ratings/publication/_status.html, `_(label)` in ratings/publication/index.html
PUBLICATION_STATUS_LABELS = (
    _l("待公示"),
    _l("公示中"),
    _l("已审核通过"),
    _l("已退回"),
)

# models.ratings.RESULT_STATUS_LABELS: `_(labels[result.status])` in ratings/publication/_status.html,
# ratings/runs/result.html, village.html and ratings/_subject_ratings.html
RESULT_STATUS_LABELS = (
    _l("拟评定"),
    _l("有异议"),
    _l("已生效"),
)

# rating_cycle.objections.STATUS_LABELS: `_(status_labels[...])` in
# ratings/publication/objection.html and objections.html
OBJECTION_STATUS_LABELS = (
    _l("待答复"),
    _l("已更正并重新评定"),
    _l("经核实维持原结果"),
    _l("无法核实"),
)

# rating_cycle.repairs.STATUS_LABELS: `_(status_labels[repair.status])` in ratings/repair/
REPAIR_STATUS_LABELS = (
    _l("待审核"),
    _l("已修复"),
    _l("未通过"),
)

# agri_credit.errors.MESSAGES: `_(MESSAGES.get(code, ...))` in errors.render_error
ERROR_MESSAGES = (
    _l("请求有误"),
    _l("您无权访问此页面"),
    _l("页面不存在，或不在您的管辖范围内"),
    _l("上传的文件太大"),
    _l("尝试过于频繁，请稍后再试"),
    _l("服务器内部错误，已记录，请稍后再试"),
)

# models.ratings.RUN_STATUS_LABELS: `_(labels[run.status])` in ratings/runs/_macros.html and the
# rating dashboard's run picker
RUN_STATUS_LABELS = (
    _l("待审定"),
    _l("已审定"),
    _l("已被重新评定取代"),
)

# The labels below are shown as they are today (no `_()` where they are displayed), but for
# ROLE_LABELS in the navigation bar; they are listed so that wrapping them is all a template
# needs.

# rating_cycle.rulesets.STATUS_LABELS
RULE_SET_STATUS_LABELS = (
    _l("草稿"),
    _l("已发布"),
)

# models.regions.LEVEL_LABELS
REGION_LEVEL_LABELS = (
    _l("省"),
    _l("市"),
    _l("县(区)"),
    _l("乡镇(街道)"),
    _l("村(社区)"),
)

# models.users.ROLE_LABELS (template global, User.role_label)
ROLE_LABELS = (
    _l("村干部"),
    _l("信用办"),
    _l("企业/农户"),
    _l("银行信贷员"),
)

# models.entities.ENTITY_TYPE_LABELS (template global, AgriEntity.type_label)
ENTITY_TYPE_LABELS = (
    _l("家庭农场"),
    _l("农民专业合作社"),
    _l("种养大户"),
    _l("农业产业化龙头企业"),
)

# agri_credit.ratings.rules.METRIC_LABELS (area metrics, threshold labels)
METRIC_LABELS = (
    _l("信用户占比"),
    _l("无逾期借款户占比"),
    _l("不良贷款率"),
    _l("新增不良贷款率"),
    _l("建档率"),
    _l("信用村占比"),
    _l("信用乡镇占比"),
)

# agri_credit.ratings.rules.LEVEL_LABELS (areas a rule set rates)
RATING_LEVEL_LABELS = (
    _l("信用村"),
    _l("信用乡镇"),
    _l("信用县"),
)

# agri_credit.ratings.rules.METHODS (indicator scoring methods)
METHOD_LABELS = (
    _l("分档"),
    _l("与本村户均比"),
    _l("分类"),
    _l("是否"),
)

# The shipped default rule set (rules.default_rule_set, rulesets.DEFAULT_NOTE): name, grade
# labels, gate reasons, indicator labels, notes and category values (counties copy and edit it,
# so this covers the shipped version only)
DEFAULT_RULE_SET = (
    _l("信用户、信用村、信用乡镇评定办法（系统默认）"),
    _l("系统自带的默认评定办法：农户百分制评分表，信用户、信用村、信用乡镇按通行标准评定。"),
    _l("优秀"),
    _l("良好"),
    _l("一般"),
    _l("有逾期90天以上未还的贷款"),
    _l("被列为失信被执行人"),
    _l("近5年内有取消评定资格的不良记录"),
    _l("家庭人口"),
    _l("劳动力人数"),
    _l("家庭总资产"),
    _l("家庭净资产"),
    _l("合作社入股"),
    _l("家庭纯收入"),
    _l("村评议品行"),
    _l("还款记录"),
    _l("经营年限"),
    _l("经营规模"),
    _l("年营业收入"),
    _l("资产负债率"),
    _l("农业保险"),
    _l("财务记账"),
    _l("质量认证"),
    _l("示范级别"),
    _l("成员数"),
    _l("纳税信用等级"),
    _l("社保缴纳"),
    _l("人"),
    _l("与本村户均之比"),
    _l("元"),
    _l("近年最长逾期天数；尚无贷款数据时不计入，总分按其余指标折算"),
    _l("年"),
    _l("经营土地（亩）或养殖规模（头/只），取高者"),
    _l("%，越低越好"),
    _l("绿色食品、有机产品、地理标志"),
    _l("户"),
    _l("尚无税务数据时不计入"),
    _l("尚无社保数据时不计入"),
    _l("较好"),
    _l("差"),
    _l("国家级"),
    _l("省级"),
    _l("市级"),
    _l("县级"),
    _l("无"),
)
