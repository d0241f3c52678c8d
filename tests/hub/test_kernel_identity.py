"""A kernel started from Jupyter by a user queries the platform as that user."""

from __future__ import annotations

import json

from jupyter_client import AsyncKernelClient


async def _run_in_kernel(connection_file: str, code: str) -> str:
    client = AsyncKernelClient(connection_file=connection_file)
    client.load_connection_file()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + msg["content"]["evalue"])

        await client.execute_interactive(code, timeout=60, output_hook=hook)
        return "".join(out)
    finally:
        client.stop_channels()


async def test_kernel_of_a_scientist_queries_as_the_scientist(
    started, tokens, jp_fetch, jp_serverapp
):
    reply = await jp_fetch(
        "api",
        "kernels",
        method="POST",
        body=json.dumps({"name": "python3"}),
        headers={"Authorization": f"token {tokens['scientist']}"},
    )
    kernel_id = json.loads(reply.body)["id"]
    km = jp_serverapp.kernel_manager
    try:
        connection_file = km.get_kernel(kernel_id).connection_file
        out = await _run_in_kernel(
            connection_file,
            "import os; print(os.environ.get('ISOMER_DATA_TOKEN', '-')); "
            "print('ISOMER_DATA_DB' in os.environ); import isomer_data; "
            "print(type(isomer_data.connect(lazy=True)).__name__)",
        )
        token, has_db, kind = out.split()
        assert has_db == "False"
        assert kind == "RemoteClient"
        user = await started.users.user_for_token(token)
        assert user["username"] == "scientist1"
    finally:
        await km.shutdown_kernel(kernel_id, now=True)
