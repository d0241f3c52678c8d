"""The jupyter_server extension that runs the platform beside the notebook kernels."""
