"""Words with one meaning everywhere: review levels and conclusions, vague words, statuses.

The catalog's 审核记录 dropdowns, the settings' defaults, the review rules and the Excel
template's 填写说明 all read these, so a word cannot be changed in one place and missed in
another. Statuses are `officeflow.records.Status` (re-exported here for the same reason).
This module imports nothing else of officeflow's but records, so anything may import it.
"""

from __future__ import annotations

from officeflow.records import Status as Status  # re-exported: the status names

# 审核级别, in the order a document passes them; the last one approves (终审人).
REVIEW_LEVELS: tuple[str, ...] = ("初审", "复审", "终审")
REVIEW_LEVEL_NOTES: dict[str, str] = {
    "初审": "流程编写部门自审",
    "复审": "相关部门联审",
    "终审": "管理层或质量部门终审",
}
# The periodic review of a current document is 定期回顾 (SPEC §3): 复审 is an approval level.
PERIODIC_REVIEW = "定期回顾"
NEXT_REVIEW_LABEL = "下次回顾日期"

# 审核结论; the first one lets a document through.
REVIEW_CONCLUSIONS: tuple[str, ...] = ("通过", "不通过", "需修改")
PASSED = REVIEW_CONCLUSIONS[0]

# Words that leave open who does what by when (the seeds' 避免使用…等模糊词汇).
VAGUE_WORDS: tuple[str, ...] = ("原则上", "尽量", "尽快", "及时", "适当", "视情况", "一般情况下")

# A control point without a number can still be checked yes or no: a gate (审批通过后方可…,
# 未经…不得…), a match (与…一致), a reject rule (…需退回) or an automatic check (系统校验).
# 流程目标 and the kinds' measurable columns accept these as well as a number with a unit
# or a standard (GB/T 2828.1, ISO 9001, AQL=0.65; officeflow.rules).
CHECKABLE_WORDS: tuple[str, ...] = ("方可", "不得", "禁止", "须经", "未经", "一致", "退回", "校验", "标注")
