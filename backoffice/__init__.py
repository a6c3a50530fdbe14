"""The back-office: the money side and the staff console."""
