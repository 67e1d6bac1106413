# The rating models moved to the ratings app: ratings 0002 copied their rows first.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('debates', '0004_ratings'),
        ('ratings', '0002_copy_from_debates'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='modelrating',
            name='debates_mod_board_6a9dec_idx',
        ),
        migrations.RemoveConstraint(
            model_name='modelrating',
            name='debates_modelrating_public_scope',
        ),
        migrations.RemoveConstraint(
            model_name='modelrating',
            name='debates_modelrating_team_scope',
        ),
        migrations.RemoveConstraint(
            model_name='modelrating',
            name='debates_modelrating_team',
        ),
        migrations.RemoveConstraint(
            model_name='pairwiseoutcome',
            name='debates_pairwise_outcome_once',
        ),
        migrations.RemoveConstraint(
            model_name='ratingboard',
            name='debates_ratingboard_team',
        ),
        migrations.RemoveIndex(
            model_name='ratingsnapshot',
            name='debates_rat_llm_mod_f24659_idx',
        ),
        migrations.RemoveConstraint(
            model_name='ratingsnapshot',
            name='debates_ratingsnapshot_team',
        ),
        migrations.AlterField(
            model_name='debate',
            name='results',
            field=models.JSONField(blank=True, default=dict, help_text='The outcome in brief: champion, runner-up and margin (ratings.maths).'),
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='debate',
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='judge_model',
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='model_a',
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='model_b',
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='seat_a',
        ),
        migrations.RemoveField(
            model_name='pairwiseoutcome',
            name='seat_b',
        ),
        migrations.RemoveField(
            model_name='ratingboard',
            name='team',
        ),
        migrations.RemoveField(
            model_name='ratingsnapshot',
            name='llm_model',
        ),
        migrations.RemoveField(
            model_name='ratingsnapshot',
            name='team',
        ),
        migrations.DeleteModel(
            name='ModelRating',
        ),
        migrations.DeleteModel(
            name='PairwiseOutcome',
        ),
        migrations.DeleteModel(
            name='RatingBoard',
        ),
        migrations.DeleteModel(
            name='RatingSnapshot',
        ),
    ]
