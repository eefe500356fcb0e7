"""Tests of hpatwin.treatments: catalogues, plans, compilation to model inputs."""
