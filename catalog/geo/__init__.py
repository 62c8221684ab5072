"""Countries and organisations: reference data."""
