"""PII scrubbing and prompt-injection detection: pure functions, no ORM, no Django models."""
