"""A long job: whose it is, how far it got, how it ended. An active job holds one
of its owner's and one of its address's slots; the database refuses a slot taken
twice (https://docs.djangoproject.com/en/5.2/ref/models/constraints/)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

ACTIVE = ["queued", "running"]  # then "done", "failed", "cancelled" or "lost"


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=80)  # "user.<pk>" or "session.<hash>"
    address = models.CharField(max_length=64)  # the client's IP address
    owner_slot = models.PositiveSmallIntegerField()
    address_slot = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, default="queued")
    step = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    heartbeat = models.DateTimeField(auto_now_add=True)  # the worker's last sign

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[field, f"{field}_slot"],
                condition=models.Q(status__in=ACTIVE),
                name=f"tasks_one_active_job_per_{field}_slot",
            )
            for field in ("owner", "address")
        ]

    def __str__(self):
        return f"{self.id.hex} ({self.status}, {self.step}/{self.total})"

    def message(self):
        """What a watcher is told. A job no worker took for TASK_LOST_SECONDS is
        "waiting": every worker is busy, or none runs."""
        message = {"type": f"task.{self.status}", "task_id": self.id.hex}
        if self.status in ACTIVE:
            message.update(type="task.progress", step=self.step, total=self.total)
            queued_for = (timezone.now() - self.created).total_seconds()
            if self.status == "queued" and queued_for > settings.TASK_LOST_SECONDS:
                message["waiting"] = True
        elif self.error:
            message["error"] = self.error
        return message
