"""The vnsearch web site (Flask): faceted search over a vnsearch index."""
