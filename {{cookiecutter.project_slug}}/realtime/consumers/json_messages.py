"""Parse client frames that must be JSON objects; describe what is wrong when not.

Consumers answer an InvalidMessage with an error reply, {"type": "error",
"error": "<why>"}, and keep the connection open.
"""

import json


class InvalidMessage(ValueError):
    """A client frame the consumer cannot act on; str() says why, for the client."""


def parse_json_object(text_data, bytes_data):
    if text_data is None:
        raise InvalidMessage("binary frames are not accepted; send JSON text")
    try:
        content = json.loads(text_data)
    except ValueError:
        raise InvalidMessage("the frame is not valid JSON") from None
    if not isinstance(content, dict):
        raise InvalidMessage("expected a JSON object")
    return content


def error_reply(error):
    return {"type": "error", "error": str(error)}
