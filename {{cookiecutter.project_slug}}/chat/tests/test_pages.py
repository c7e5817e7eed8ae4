"""The chat pages keep the Channels tutorial's element ids."""


def test_the_chat_index_asks_for_a_room(client):
    response = client.get("/chat/")
    assert response.status_code == 200
    for element_id in (b"room-name-input", b"room-name-submit"):
        assert b'id="' + element_id + b'"' in response.content


def test_a_room_page_has_the_log_the_input_and_the_room_name(client):
    response = client.get("/chat/lobby/")
    assert response.status_code == 200
    for element_id in (
        b"chat-log",
        b"chat-message-input",
        b"chat-message-submit",
        b"connection-state",
        b"chat-presence",
    ):
        assert b'id="' + element_id + b'"' in response.content
    assert b'<script id="room-name" type="application/json">"lobby"</script>' in (
        response.content
    )


def test_a_room_name_outside_the_rules_is_404(client):
    assert client.get("/chat/caf%C3%A9/").status_code == 404


def test_the_home_page_links_the_chat(client):
    assert b'href="/chat/"' in client.get("/").content
