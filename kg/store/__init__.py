"""The built dataset and where it goes.

Its on-disk store, the atomic build directory, VoID/DCAT, IATI export, publishing to remote stores.
"""
