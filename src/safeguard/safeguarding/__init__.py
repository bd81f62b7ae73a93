"""Safeguarding victims: support services and referrals, safe contact, protective orders, Clare's Law
and the Victims' Code."""
