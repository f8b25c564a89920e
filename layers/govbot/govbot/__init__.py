"""govbot: governance bots for machine-learning workloads on AWS."""

__version__ = "0.1.0"
