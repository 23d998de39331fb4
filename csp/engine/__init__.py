"""From extracts to statuses: cleaning (with pseudonyms and completeness), monthly measure values,
the judgement of each measure's quarter, and the comments that carry its figures.
"""
