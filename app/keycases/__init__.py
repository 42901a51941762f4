"""干部联户包案 for key petition cases (重点信访案件): the 五个一, the 四到位, 销号 (docs/keycases.md)."""
