"""Scripts and materials have no background jobs: media are uploaded when first sent."""
