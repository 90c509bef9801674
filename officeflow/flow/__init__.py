"""Swimlane flowcharts drawn from a document's steps (issue 12); see officeflow.flowchart."""
