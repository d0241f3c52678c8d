import json
import sys

from jupyter_client.kernelspec import KernelSpecManager

from isomer_data.setup_assets import install_kernel_spec


def test_kernel_spec_is_installed_bound_to_this_python(tmp_path):
    target = install_kernel_spec(prefix=str(tmp_path))
    spec = json.loads((target / "kernel.json").read_text())
    assert spec["display_name"] == "Isomer Data (Python 3)"
    assert spec["argv"][0] == sys.executable
    assert any("isomer_data.connect" in arg for arg in spec["argv"])


def test_setup_installed_the_kernel_spec_into_the_environment():
    specs = KernelSpecManager().find_kernel_specs()
    assert "isomer-data" in specs
