"""The JSON API for partners and airlines: the same journey, documented by OpenAPI."""
