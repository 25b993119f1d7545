"""Demand forecasting (statsforecast): history, model choice, runs, and what
the forecasts feed — projection, replenishment and commitment suggestions."""
