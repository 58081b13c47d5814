// Every page of the app, in the order of the navigation.
import "./search.js";
import "./orders.js";
import "./order.js";
import "./container.js";
import "./documents.js";
import "./exceptions.js";
import "./title.js";
import "./shops.js";
import "./runs.js";
import "./finance.js";
import "./analytics.js";
