"""Word and Excel templates shipped with officeflow (built by tools/, generated from the catalogs)."""
