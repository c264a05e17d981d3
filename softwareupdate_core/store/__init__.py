"""The persistent stores: state kept between rounds, locally or shared by a farm."""
