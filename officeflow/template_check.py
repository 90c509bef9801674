"""A Word template that asks for what no workbook provides: the operator's problem, said so.

When the quality office adds `{{ company }}` to templates/sop.docx, every sop workbook would
fail to render, whoever wrote it. `validate` and `process` name the template file, the
unknown variables and the variables a template of that kind may use, so the operator fixes
the template instead of the author chasing a mistake that is not in the workbook.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from officeflow.errors import TemplateVariablesError
from officeflow.fastrender import prepared_template
from officeflow.gate import admit
from officeflow.ledger_protocol import Ledger
from officeflow.pipeline import Checked, check_workbook, plan_outputs
from officeflow.settings import Workspace
from officeflow.stamp import stamp_document


def check_word_template(checked: Checked, workspace: Workspace) -> None:
    """Raise TemplateVariablesError when the Word template of this workbook's kind uses an unknown name.

    The context checked is the one `process` would render with (officeflow.pipeline.plan_outputs),
    so `validate` and `process` never disagree. A workbook with errors is not planned: it is
    the author's to fix first.
    """
    if checked.parsed is None or checked.context is None:
        return
    try:
        stamp = stamp_document(checked.parsed, checked.context)
        plan = plan_outputs(checked.parsed, stamp, checked.context, workspace, "", datetime.now())
    except (ValueError, KeyError, TypeError):  # an invalid workbook: its findings say why
        return
    unknown = prepared_template(plan.template).undeclared_variables(plan.context)
    if unknown:
        raise TemplateVariablesError(Path(plan.template), sorted(unknown), sorted(plan.context))


def explain_template_error(files: list[Path], workspace: Workspace, ledger: Ledger, today: date) -> None:
    """After the pipeline stopped on a template: raise the named error of the first file that shows it."""
    for path in files:
        data, refused = admit(path, workspace.settings.max_file_mb)
        if data is not None and not refused:
            check_word_template(check_workbook(data, workspace, ledger, today), workspace)
