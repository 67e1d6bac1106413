"""Writes of the debates app: creation and control (`creation`), and the small transactions
the running pipeline makes (`running`), each one state change plus its event."""
