"""Risk assessment: the DASH forms as versioned data, and how an assessment is scored (DOMAIN.md §1)."""
