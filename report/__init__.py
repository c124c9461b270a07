"""Human-facing reports (self-contained HTML)."""
