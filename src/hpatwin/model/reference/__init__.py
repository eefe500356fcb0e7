"""Published HPA models, each implemented from its paper's equations with its published parameters."""
