"""Documents built from the survey definition and the stored answers (DOCX and friends)."""
