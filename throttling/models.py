from django.db import models


class Counter(models.Model):
    """One throttle window: hits so far and when the window ends (Unix seconds).

    Used where there is no Redis, so every worker process and host counts in one place. The name is
    a keyed hash (throttling.limits.counter_name): no client address is stored.
    """

    name = models.CharField(max_length=80, primary_key=True)
    hits = models.IntegerField()
    expires_at = models.FloatField(db_index=True)

    class Meta:
        verbose_name = "throttle counter"

    def __str__(self):
        return f"{self.name}: {self.hits}"
