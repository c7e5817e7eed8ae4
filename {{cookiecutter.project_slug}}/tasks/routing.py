from django.urls import path

from tasks.consumers import TaskConsumer
from tasks.worker import TASK_WORKER_CHANNEL, TaskWorkerConsumer

websocket_urlpatterns = [
    path("ws/tasks/", TaskConsumer.as_asgi()),
]

channel_routes = {
    TASK_WORKER_CHANNEL: TaskWorkerConsumer.as_asgi(),
}
