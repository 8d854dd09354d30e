#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/subscription.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 bb959a65984bad31acd925312d12de8f.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# Renders the subscription list; the vendor file ends with eval(handle_subscriptions()).
sub handle_subscriptions { return 1; }
eval(handle_subscriptions());
