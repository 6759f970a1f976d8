"""Everything that speaks SQL lives here: engines, models, repositories, migrations."""
