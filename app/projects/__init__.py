"""为民实事: the village's and the town's projects of the year, their 公示 and the residents' 点评
(docs/projects.md)."""
