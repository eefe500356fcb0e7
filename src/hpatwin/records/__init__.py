"""Patient records and interchange formats (FHIR R4, CSV)."""
