"""Approval flows (审批流): the steps an application or a contract goes through, who approves each, and every
decision, taken from the console or from a WeCom template card."""
