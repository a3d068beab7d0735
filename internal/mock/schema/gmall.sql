-- The gmall business database: the tables the warehouse reads, with the
-- column names and types of the public gmall schema (rtdw's own copy).
-- base_dic, base_province and base_region get a primary key here (the public
-- schema has none) so updates and binlog rows identify their row.
-- One column per line: internal/mock parses this file for column types.
CREATE DATABASE IF NOT EXISTS `gmall` DEFAULT CHARACTER SET utf8mb4;
USE `gmall`;

CREATE TABLE IF NOT EXISTS `activity_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `activity_name` varchar(200) DEFAULT NULL,
  `activity_type` varchar(10) DEFAULT NULL,
  `activity_desc` varchar(2000) DEFAULT NULL,
  `start_time` datetime DEFAULT NULL,
  `end_time` datetime DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='activity';

CREATE TABLE IF NOT EXISTS `activity_rule` (
  `id` int NOT NULL AUTO_INCREMENT,
  `activity_id` int DEFAULT NULL,
  `activity_type` varchar(20) DEFAULT NULL,
  `condition_amount` decimal(16,2) DEFAULT NULL,
  `condition_num` bigint DEFAULT NULL,
  `benefit_amount` decimal(16,2) DEFAULT NULL,
  `benefit_discount` decimal(10,2) DEFAULT NULL,
  `benefit_level` bigint DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='activity rule';

CREATE TABLE IF NOT EXISTS `activity_sku` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `activity_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='skus of an activity';

CREATE TABLE IF NOT EXISTS `base_category1` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `name` varchar(10) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='category level 1';

CREATE TABLE IF NOT EXISTS `base_category2` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `name` varchar(200) NOT NULL,
  `category1_id` bigint DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='category level 2';

CREATE TABLE IF NOT EXISTS `base_category3` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `name` varchar(200) NOT NULL,
  `category2_id` bigint DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='category level 3';

CREATE TABLE IF NOT EXISTS `base_dic` (
  `dic_code` varchar(10) NOT NULL,
  `dic_name` varchar(100) DEFAULT NULL,
  `parent_code` varchar(10) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  PRIMARY KEY (`dic_code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='codes';

CREATE TABLE IF NOT EXISTS `base_province` (
  `id` bigint NOT NULL,
  `name` varchar(20) DEFAULT NULL,
  `region_id` varchar(20) DEFAULT NULL,
  `area_code` varchar(20) DEFAULT NULL,
  `iso_code` varchar(20) DEFAULT NULL,
  `iso_3166_2` varchar(20) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='province';

CREATE TABLE IF NOT EXISTS `base_region` (
  `id` varchar(20) NOT NULL,
  `region_name` varchar(20) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='region';

CREATE TABLE IF NOT EXISTS `base_trademark` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `tm_name` varchar(100) NOT NULL,
  `logo_url` varchar(200) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='trademark';

CREATE TABLE IF NOT EXISTS `cart_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `user_id` varchar(200) DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `cart_price` decimal(10,2) DEFAULT NULL,
  `sku_num` int DEFAULT NULL,
  `img_url` varchar(200) DEFAULT NULL,
  `sku_name` varchar(200) DEFAULT NULL,
  `is_checked` int DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  `is_ordered` bigint DEFAULT NULL,
  `order_time` datetime DEFAULT NULL,
  `source_type` varchar(20) DEFAULT NULL,
  `source_id` bigint DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='cart';

CREATE TABLE IF NOT EXISTS `comment_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `user_id` bigint DEFAULT NULL,
  `nick_name` varchar(20) DEFAULT NULL,
  `head_img` varchar(200) DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `spu_id` bigint DEFAULT NULL,
  `order_id` bigint DEFAULT NULL,
  `appraise` varchar(10) DEFAULT NULL,
  `comment_txt` varchar(2000) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='comments';

CREATE TABLE IF NOT EXISTS `coupon_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `coupon_name` varchar(100) DEFAULT NULL,
  `coupon_type` varchar(10) DEFAULT NULL,
  `condition_amount` decimal(10,2) DEFAULT NULL,
  `condition_num` bigint DEFAULT NULL,
  `activity_id` bigint DEFAULT NULL,
  `benefit_amount` decimal(16,2) DEFAULT NULL,
  `benefit_discount` decimal(10,2) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `range_type` varchar(10) DEFAULT NULL,
  `limit_num` int NOT NULL DEFAULT '0',
  `taken_count` int NOT NULL DEFAULT '0',
  `start_time` datetime DEFAULT NULL,
  `end_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  `expire_time` datetime DEFAULT NULL,
  `range_desc` varchar(500) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='coupon';

CREATE TABLE IF NOT EXISTS `coupon_range` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `coupon_id` bigint NOT NULL DEFAULT '0',
  `range_type` varchar(10) NOT NULL DEFAULT '',
  `range_id` bigint NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='what a coupon applies to';

CREATE TABLE IF NOT EXISTS `coupon_use` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `coupon_id` bigint DEFAULT NULL,
  `user_id` bigint DEFAULT NULL,
  `order_id` bigint DEFAULT NULL,
  `coupon_status` varchar(10) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `get_time` datetime DEFAULT NULL,
  `using_time` datetime DEFAULT NULL,
  `used_time` datetime DEFAULT NULL,
  `expire_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='coupons taken by users';

CREATE TABLE IF NOT EXISTS `favor_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `user_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `spu_id` bigint DEFAULT NULL,
  `is_cancel` varchar(1) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `cancel_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='favorites';

CREATE TABLE IF NOT EXISTS `financial_sku_cost` (
  `id` varchar(20) NOT NULL,
  `sku_id` bigint DEFAULT NULL,
  `sku_name` varchar(20) DEFAULT NULL,
  `busi_date` varchar(20) DEFAULT NULL,
  `is_lastest` varchar(2) DEFAULT NULL,
  `sku_cost` decimal(16,2) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='sku cost';

CREATE TABLE IF NOT EXISTS `order_detail` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `order_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `sku_name` varchar(200) DEFAULT NULL,
  `img_url` varchar(200) DEFAULT NULL,
  `order_price` decimal(10,2) DEFAULT NULL,
  `sku_num` bigint DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `source_type` varchar(20) DEFAULT NULL,
  `source_id` bigint DEFAULT NULL,
  `split_total_amount` decimal(16,2) DEFAULT NULL,
  `split_activity_amount` decimal(16,2) DEFAULT NULL,
  `split_coupon_amount` decimal(16,2) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='order lines';

CREATE TABLE IF NOT EXISTS `order_detail_activity` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `order_id` bigint DEFAULT NULL,
  `order_detail_id` bigint DEFAULT NULL,
  `activity_id` bigint DEFAULT NULL,
  `activity_rule_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='activity of an order line';

CREATE TABLE IF NOT EXISTS `order_detail_coupon` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `order_id` bigint DEFAULT NULL,
  `order_detail_id` bigint DEFAULT NULL,
  `coupon_id` bigint DEFAULT NULL,
  `coupon_use_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='coupon of an order line';

CREATE TABLE IF NOT EXISTS `order_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `consignee` varchar(100) DEFAULT NULL,
  `consignee_tel` varchar(20) DEFAULT NULL,
  `total_amount` decimal(10,2) DEFAULT NULL,
  `order_status` varchar(20) DEFAULT NULL,
  `user_id` bigint DEFAULT NULL,
  `payment_way` varchar(20) DEFAULT NULL,
  `delivery_address` varchar(1000) DEFAULT NULL,
  `order_comment` varchar(200) DEFAULT NULL,
  `out_trade_no` varchar(50) DEFAULT NULL,
  `trade_body` varchar(200) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  `expire_time` datetime DEFAULT NULL,
  `process_status` varchar(20) DEFAULT NULL,
  `tracking_no` varchar(100) DEFAULT NULL,
  `parent_order_id` bigint DEFAULT NULL,
  `img_url` varchar(200) DEFAULT NULL,
  `province_id` int DEFAULT NULL,
  `activity_reduce_amount` decimal(16,2) DEFAULT NULL,
  `coupon_reduce_amount` decimal(16,2) DEFAULT NULL,
  `original_total_amount` decimal(16,2) DEFAULT NULL,
  `feight_fee` decimal(16,2) DEFAULT NULL,
  `feight_fee_reduce` decimal(16,2) DEFAULT NULL,
  `refundable_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='orders';

CREATE TABLE IF NOT EXISTS `order_refund_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `user_id` bigint DEFAULT NULL,
  `order_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `refund_type` varchar(20) DEFAULT NULL,
  `refund_num` bigint DEFAULT NULL,
  `refund_amount` decimal(16,2) DEFAULT NULL,
  `refund_reason_type` varchar(200) DEFAULT NULL,
  `refund_reason_txt` varchar(20) DEFAULT NULL,
  `refund_status` varchar(10) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='refunds';

CREATE TABLE IF NOT EXISTS `payment_info` (
  `id` int NOT NULL AUTO_INCREMENT,
  `out_trade_no` varchar(50) DEFAULT NULL,
  `order_id` bigint DEFAULT NULL,
  `user_id` bigint DEFAULT NULL,
  `payment_type` varchar(20) DEFAULT NULL,
  `trade_no` varchar(50) DEFAULT NULL,
  `total_amount` decimal(10,2) DEFAULT NULL,
  `subject` varchar(200) DEFAULT NULL,
  `payment_status` varchar(20) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `callback_time` datetime DEFAULT NULL,
  `callback_content` text,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='payments';

CREATE TABLE IF NOT EXISTS `refund_payment` (
  `id` int NOT NULL AUTO_INCREMENT,
  `out_trade_no` varchar(50) DEFAULT NULL,
  `order_id` bigint DEFAULT NULL,
  `sku_id` bigint DEFAULT NULL,
  `payment_type` varchar(20) DEFAULT NULL,
  `trade_no` varchar(50) DEFAULT NULL,
  `total_amount` decimal(10,2) DEFAULT NULL,
  `subject` varchar(200) DEFAULT NULL,
  `refund_status` varchar(30) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `callback_time` datetime DEFAULT NULL,
  `callback_content` text,
  PRIMARY KEY (`id`),
  KEY `idx_out_trade_no` (`out_trade_no`),
  KEY `idx_order_id` (`order_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='refund payments';

CREATE TABLE IF NOT EXISTS `sku_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `spu_id` bigint DEFAULT NULL,
  `price` decimal(10,0) DEFAULT NULL,
  `sku_name` varchar(200) DEFAULT NULL,
  `sku_desc` varchar(2000) DEFAULT NULL,
  `weight` decimal(10,2) DEFAULT NULL,
  `tm_id` bigint DEFAULT NULL,
  `category3_id` bigint DEFAULT NULL,
  `sku_default_img` varchar(300) DEFAULT NULL,
  `is_sale` tinyint NOT NULL DEFAULT '0',
  `create_time` datetime DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='sku';

CREATE TABLE IF NOT EXISTS `spu_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `spu_name` varchar(200) DEFAULT NULL,
  `description` varchar(1000) DEFAULT NULL,
  `category3_id` bigint DEFAULT NULL,
  `tm_id` bigint DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='spu';

CREATE TABLE IF NOT EXISTS `user_info` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `login_name` varchar(200) DEFAULT NULL,
  `nick_name` varchar(200) DEFAULT NULL,
  `passwd` varchar(200) DEFAULT NULL,
  `name` varchar(200) DEFAULT NULL,
  `phone_num` varchar(200) DEFAULT NULL,
  `email` varchar(200) DEFAULT NULL,
  `head_img` varchar(200) DEFAULT NULL,
  `user_level` varchar(200) DEFAULT NULL,
  `birthday` date DEFAULT NULL,
  `gender` varchar(1) DEFAULT NULL,
  `create_time` datetime DEFAULT NULL,
  `operate_time` datetime DEFAULT NULL,
  `status` varchar(200) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='users';
