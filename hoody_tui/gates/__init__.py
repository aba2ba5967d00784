"""Gate logic without Textual: risk marks, the decision ledger, the audit log."""
