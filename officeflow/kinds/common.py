"""Fields and tables every kind shares (SPEC §2.1)."""

from __future__ import annotations

from officeflow.catalog import Field, FieldType, KindSpec, Table, WordTable
from officeflow.vocabulary import NEXT_REVIEW_LABEL, REVIEW_CONCLUSIONS, REVIEW_LEVELS

KIND_FIELD = Field(
    "kind", "模板类型", "Template", FieldType.ENUM, required=True,
    hint="从下拉列表选择，已预填", width=20,
)

BASIC_FIELDS: tuple[Field, ...] = (
    KIND_FIELD,
    Field("name", "流程名称", "Process name", required=True, max_length=60,
          hint="简洁明确，不超过60字", example="客户投诉处理流程", width=30),
    Field("doc_id", "流程编号", "Process ID", FieldType.CODE, required=True,
          hint="前缀-类别-年份-序号，如 CRM-CS-2024-005", example="CRM-CS-2024-005"),
    Field("version", "版本号", "Version", FieldType.CODE,
          hint="V主版本.次版本，如 V1.0；留空由系统分配", example="V2.0"),
    Field("effective_date", "生效日期", "Effective date", FieldType.DATE, required=True,
          hint="日期，格式 YYYY-MM-DD", example="2024-08-01"),
    Field("category", "流程类别", "Category", required=True,
          hint="归档第一级，如 客户服务类", example="客户服务类"),
    Field("department", "主责部门", "Owning department", required=True,
          hint="归档第二级，如 客服部", example="客服部"),
    Field("departments", "适用部门", "Departments", FieldType.LIST,
          hint="用顿号、逗号或换行分隔", example="客服部、技术部、法务部"),
    Field("roles", "适用角色", "Roles", FieldType.LIST,
          hint="列出所有涉及岗位，用顿号分隔", example="客服专员、客服主管、技术支持工程师"),
    Field("owner", "流程负责人", "Process owner", required=True,
          hint="对流程文档负总责的人", example="王敏"),
    Field("objective", "流程目标", "Objective", required=True,
          hint="可量化，如 24小时内响应，满意度≥90%",
          example="客户投诉24小时内响应，7个工作日内解决，满意度≥90%", width=40),
    Field("scope", "适用范围", "Scope", required=True,
          hint="适用的客户类型、业务场景及不适用的情形",
          example="适用于所有个人客户及企业客户的投诉处理", width=40),
)

RELATED_DOCUMENTS = Table(
    "related_documents", "相关文件", "Related documents",
    columns=(
        Field("name", "文件名称", "Document name", required=True, example="《客户投诉登记表》",
              width=30),
        Field("code", "文件编号", "Document ID", FieldType.CODE, example="CRM-TAB-001",
              hint="如 CRM-TAB-001", width=18, word_width=4.6, word_center=True),
    ),
    required=False,
    word=WordTable(index="序号"),
)

REVISION_LOG = Table(
    "revision_log", "修订记录", "Revision history",
    columns=(
        Field("version", "版本号", "Version", FieldType.CODE, hint="如 V1.0", example="V1.0",
              width=10, word_width=1.5, word_center=True),
        Field("date", "修订日期", "Revision date", FieldType.DATE, required=True,
              example="2024-01-01", width=14, word_width=2.3, word_center=True),
        Field("content", "修订内容", "Change", example="初稿编写", width=40),
        Field("reason", "修订原因", "Reason", example="新建流程", width=30, word_width=3.6),
        Field("author", "修订人", "Author", example="王敏", width=12, word_width=1.9,
              word_center=True),
        Field("reviewer", "审核人", "Reviewer", example="客服主管", width=12, word_width=1.9,
              word_center=True),
    ),
    min_rows=1,
    # The document prints the whole history the stamp keeps (officeflow.stamp), not only the
    # workbook's rows.
    word=WordTable(source="revision_history"),
)

REVIEW_RECORDS = Table(
    "reviews", "审核记录", "Review records",
    columns=(
        Field("level", "审核级别", "Review level", FieldType.ENUM, required=True,
              choices=REVIEW_LEVELS, width=12, word_width=1.8, word_center=True),
        Field("reviewer", "审核人", "Reviewer", required=True, width=14, word_width=2.2,
              word_center=True),
        Field("date", "审核日期", "Review date", FieldType.DATE, required=True, width=14,
              word_width=2.3, word_center=True),
        Field("conclusion", "审核结论", "Conclusion", FieldType.ENUM, required=True,
              choices=REVIEW_CONCLUSIONS, width=12, word_width=1.9, word_center=True),
        Field("opinion", "审核意见", "Opinion", width=40),
    ),
    min_rows=1,
    word=WordTable(title="审核与批准"),
)

# Every kind ends with these tables, in this order.
CLOSING_TABLES: tuple[Table, ...] = (RELATED_DOCUMENTS, REVISION_LOG, REVIEW_RECORDS)

# What the shared rules, the stamp, the ledger and the register read of every kind: these
# fields (with these types) and CLOSING_TABLES with their columns (officeflow.kinds.contract).
CONTRACT_FIELDS: tuple[str, ...] = (
    "kind", "name", "doc_id", "version", "effective_date", "category", "department", "owner",
    "objective", "scope",
)

# Values the stamp adds to the Word context (officeflow.render.build_context), with the
# labels 一、基本信息 gives them.
STAMP_FIELDS: tuple[Field, ...] = (
    Field("approver", "终审人", "Approver"),
    Field("status", "状态", "Status"),
    Field("next_review_date", NEXT_REVIEW_LABEL, "Next review date"),
    Field("kind_label", "文件类型", "Document type"),
)

# 一、基本信息 of the Word document: one field spans the row, two share it.
BASIC_INFO_ROWS: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("doc_id", "version"),
    ("category", "department"),
    ("departments",),
    ("roles",),
    ("owner", "approver"),
    ("effective_date", "status"),
    ("next_review_date", "kind_label"),
)


def word_info_rows(kind: KindSpec) -> tuple[tuple[str, ...], ...]:
    """The kind's rows of 一、基本信息 (field and stamp keys)."""
    return kind.word_info_rows or BASIC_INFO_ROWS


def word_sections(kind: KindSpec) -> tuple[str, ...]:
    """The Word document's numbered sections after 基本信息: field and table keys in order.

    By default, every text field not shown in 基本信息 (流程目标, 适用范围…) as a paragraph,
    then every table in catalog order.
    """
    if kind.word_sections:
        return kind.word_sections
    shown = {key for row in word_info_rows(kind) for key in row}
    texts = tuple(f.key for f in kind.fields
                  if f.key not in shown and f.key != KIND_FIELD.key and f.type is FieldType.TEXT)
    return texts + tuple(t.key for t in kind.tables)
