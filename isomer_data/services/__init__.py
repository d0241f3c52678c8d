"""Server services: each folder holds thin HTTP/websocket handlers and the logic they call."""
