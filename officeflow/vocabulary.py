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
# 审核结论; the first one lets a document through.
REVIEW_CONCLUSIONS: tuple[str, ...] = ("通过", "不通过", "需修改")
PASSED = REVIEW_CONCLUSIONS[0]

# Words that leave open who does what by when (the seeds' 避免使用…等模糊词汇).
VAGUE_WORDS: tuple[str, ...] = ("原则上", "尽量", "尽快", "及时", "适当", "视情况", "一般情况下")
