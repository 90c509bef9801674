"""Fields and tables every kind shares (SPEC §2.1)."""

from __future__ import annotations

from officeflow.catalog import Field, FieldType, Table

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
              hint="如 CRM-TAB-001", width=18),
    ),
    required=False,
)

REVISION_LOG = Table(
    "revision_log", "修订记录", "Revision history",
    columns=(
        Field("version", "版本号", "Version", FieldType.CODE, hint="如 V1.0", example="V1.0",
              width=10),
        Field("date", "修订日期", "Revision date", FieldType.DATE, required=True,
              example="2024-01-01", width=14),
        Field("content", "修订内容", "Change", example="初稿编写", width=40),
        Field("reason", "修订原因", "Reason", example="新建流程", width=30),
        Field("author", "修订人", "Author", example="王敏", width=12),
        Field("reviewer", "审核人", "Reviewer", example="客服主管", width=12),
    ),
    min_rows=1,
)

REVIEW_LEVELS = ("初审", "复审", "终审")
REVIEW_CONCLUSIONS = ("通过", "不通过", "需修改")

REVIEW_RECORDS = Table(
    "reviews", "审核记录", "Review records",
    columns=(
        Field("level", "审核级别", "Review level", FieldType.ENUM, required=True,
              choices=REVIEW_LEVELS, width=12),
        Field("reviewer", "审核人", "Reviewer", required=True, width=14),
        Field("date", "审核日期", "Review date", FieldType.DATE, required=True, width=14),
        Field("conclusion", "审核结论", "Conclusion", FieldType.ENUM, required=True,
              choices=REVIEW_CONCLUSIONS, width=12),
        Field("opinion", "审核意见", "Opinion", width=40),
    ),
    min_rows=1,
)

# Every kind ends with these tables, in this order.
CLOSING_TABLES: tuple[Table, ...] = (RELATED_DOCUMENTS, REVISION_LOG, REVIEW_RECORDS)
