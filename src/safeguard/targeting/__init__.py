"""Harm ranking of DA perpetrators: RFG(V) scores with their breakdown, versioned weights, and the ranked
lists an operation picks its targets from (DOMAIN.md §5)."""
