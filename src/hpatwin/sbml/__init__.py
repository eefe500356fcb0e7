"""SBML export of model definitions and cross-checks in libRoadRunner."""
