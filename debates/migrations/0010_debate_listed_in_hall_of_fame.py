"""Listing on the hall of fame becomes its own choice (issue 9, item 3).

Until now an open public link also listed the debate on /hall-of-fame/, the model pages and
the creator's public profile, though the toggle said only "anyone with the link". Existing
public debates are NOT listed: their creators agreed to a link, not to publication, so
nothing becomes more visible than what they chose. A creator lists one again from its page.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("debates", "0009_debate_anonymised_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="debate",
            name="listed_in_hall_of_fame",
            field=models.BooleanField(
                default=False,
                help_text="Listed on the hall of fame, model pages and the creator's profile.",
            ),
        ),
        migrations.AddConstraint(
            model_name="debate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("listed_in_hall_of_fame", False), ("is_public", True), _connector="OR"
                ),
                name="debates_debate_listed_is_public",
            ),
        ),
    ]
