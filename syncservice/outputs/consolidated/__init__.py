"""The consolidated workbook: current versions from the store → one .xlsx finance reads."""
