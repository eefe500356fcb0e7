"""Clinical decision support: instruments, biomarkers, protocol planning and safety screening."""
